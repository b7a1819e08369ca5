"""Browser tests: the notebooks in JupyterLab in headless Chromium. A package, so that
its conftest is not the module `conftest` that Tests/Jupyter imports helpers from."""
