# Loupe: `make demo` and `make test` do all set-up on a fresh Debian machine
# with Swift installed. Every target is idempotent and quiet when done.
SHELL := /bin/bash
.DEFAULT_GOAL := demo

DEB_PACKAGES := pkg-config libzmq3-dev libopenblas-dev libpng-dev libssl-dev \
                libjpeg62-turbo-dev libfreetype-dev fonts-dejavu-core zlib1g-dev
# Only the browser test needs these: Debian's Chromium and its WebDriver.
BROWSER_PACKAGES := chromium chromium-driver
VENV    := .venv
PY      := $(VENV)/bin/python
BIN     := .build/release/loupe
# Each target may import only the modules Package.swift declares for it.
IMPORT_CHECK := --explicit-target-dependency-import-check error
AS_ROOT := $(filter 0,$(shell id -u))
SUDO    := $(if $(AS_ROOT),,sudo)
# Jupyter finds the kernelspec in the virtual environment's share/jupyter.
export JUPYTER_PLATFORM_DIRS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: deps apt browser-packages venv build kernelspec test swift-test jupyter-test browser-test demo lab bench fuzz soak clean verify-notebooks

deps: apt browser-packages venv

# $(call apt_install,PACKAGES): installs those of PACKAGES that are missing.
apt_install = missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

apt:
	@$(call apt_install,$(DEB_PACKAGES))

browser-packages:
	@$(call apt_install,$(BROWSER_PACKAGES))

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-test.txt
	@echo "Creating $(VENV) with the pinned Jupyter test tools"
	@python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-test.txt
	@touch $@

# Under `make test` the product is built together with the tests, by the
# same command as swift-test's, so that build is reused rather than redone.
BUILD_WHAT := $(if $(filter test swift-test,$(MAKECMDGOALS)),--build-tests,--product loupe)

build: apt
	@swift build -c release $(IMPORT_CHECK) $(BUILD_WHAT) 2>&1 | grep -vE '^(Building|Build of|\[[0-9]+/[0-9]+\])' || true
	@test -x $(BIN) || { echo "build failed: run 'swift build -c release' to see why"; exit 1; }

kernelspec: build venv
	@$(BIN) install --prefix $(VENV) >/dev/null

# Swift Testing and XCTest both run; the full log stays in out/swift-test.log.
swift-test: apt
	@python3 dev/check_imports.py
	@mkdir -p out
	@echo "swift test -c release (log: out/swift-test.log)"
	@{ swift build -c release $(IMPORT_CHECK) --build-tests && swift test -c release --skip-build; } > out/swift-test.log 2>&1; rc=$$?; \
	 grep -E "✘|error:|Executed [0-9]+ tests|Test run with" out/swift-test.log | tail -n 40; \
	 if [ $$rc -ne 0 ]; then tail -n 60 out/swift-test.log; fi; exit $$rc

jupyter-test: kernelspec
	$(PY) -m pytest -q Tests/Jupyter

# Every notebook run in JupyterLab in headless Chromium, plus completion and
# Stop in a new notebook; screenshots in out/browser/.
browser-test: kernelspec browser-packages venv
	$(PY) -m pytest -q Tests/Browser

test: swift-test jupyter-test browser-test

demo: kernelspec
	@mkdir -p out
	@$(PY) -m jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=loupe \
	    --output-dir out --output 01-tour notebooks/01-tour.ipynb --log-level WARN
	@$(PY) -m jupyter nbconvert --to html --output-dir out out/01-tour.ipynb --log-level WARN
	@echo "Executed tour: out/01-tour.ipynb and out/01-tour.html"
	@echo "Open it live with: make lab"

# Every tutorial executed headless (unless out/notebooks/ has it from
# `make test`), then re-run by `loupe verify` and compared output by output;
# about 8 minutes on 2 cores. `make test` verifies the two quick ones.
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
verify-notebooks: kernelspec
	@mkdir -p out/notebooks
	@for nb in $(NOTEBOOKS); do name=$$(basename $$nb .ipynb); \
	  test -f out/notebooks/$$name.ipynb || $(PY) -m jupyter nbconvert --to notebook --execute \
	    --ExecutePreprocessor.kernel_name=loupe --output-dir out/notebooks --output $$name $$nb --log-level WARN || exit 1; \
	done; rc=0; for nb in $(NOTEBOOKS); do $(BIN) verify out/notebooks/$$(basename $$nb) || rc=1; done; exit $$rc

lab: kernelspec
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-lab.txt
	$(PY) -m jupyter lab $(if $(AS_ROOT),--allow-root) notebooks

# The Python peers (PyTorch, open_clip, SAELens) live in their own pinned
# environments; they are large, so only `make bench` installs them.
CLIP_VENV := dev/.venv
SAE_VENV  := dev/.venv-sae
BENCH_CHECKPOINT := dev/work/ViT-B-32.safetensors
BENCH_PHOTOS := dev/work/photos/.complete
BENCH_TOWERS := dev/work/dinov2_vitb14/model.safetensors

$(CLIP_VENV)/.installed: dev/requirements-clip.txt
	@python3 -m venv $(CLIP_VENV) && $(CLIP_VENV)/bin/pip install -q --disable-pip-version-check -r $< && touch $@

$(SAE_VENV)/.installed: dev/requirements-sae.txt
	@python3 -m venv $(SAE_VENV) && $(SAE_VENV)/bin/pip install -q --disable-pip-version-check -r $< && touch $@

$(BENCH_CHECKPOINT): $(CLIP_VENV)/.installed
	$(CLIP_VENV)/bin/python dev/make_clip_fixtures.py --full

# Full-size random DINOv2 ViT-B/14 and SigLIP ViT-B/16 folders, written by transformers.
$(BENCH_TOWERS): $(CLIP_VENV)/.installed dev/make_tower_fixtures.py
	$(CLIP_VENV)/bin/python dev/make_tower_fixtures.py --full dev/work

$(BENCH_PHOTOS): $(CLIP_VENV)/.installed dev/make_photos.py
	$(CLIP_VENV)/bin/python dev/make_photos.py --count 256 --out dev/work/photos && touch $@

bench: kernelspec $(CLIP_VENV)/.installed $(SAE_VENV)/.installed $(BENCH_CHECKPOINT) $(BENCH_PHOTOS) $(BENCH_TOWERS)
	@echo "== CPU: one core's fp32 FMA and bf16 dot-product rates"
	$(BIN) bench cpu
	@echo "== kernel: Loupe beside ipykernel"
	$(PY) bench/kernel_bench.py
	@echo "== CLIP image tower: Loupe beside open_clip"
	$(BIN) bench clip $(BENCH_CHECKPOINT) --peer $(CLIP_VENV)/bin/python
	@echo "== DINOv2 ViT-B/14 and SigLIP ViT-B/16 image towers (random full-size weights): Loupe beside transformers"
	$(BIN) bench clip dev/work/dinov2_vitb14 --peer $(CLIP_VENV)/bin/python
	$(BIN) bench clip dev/work/siglip_vitb16 --peer $(CLIP_VENV)/bin/python
	@echo "== Activations of real photos through the language: beside ready tensors and open_clip"
	$(BIN) bench photos $(BENCH_CHECKPOINT) dev/work/photos --peer $(CLIP_VENV)/bin/python
	@echo "== SAE training: Loupe beside SAELens"
	$(BIN) bench sae --peer $(SAE_VENV)/bin/python
	@echo "== Steerability of every latent (49,152 x 5,000 words x 192 images): Loupe beside PyTorch"
	$(BIN) bench steer $(BENCH_CHECKPOINT) --peer $(CLIP_VENV)/bin/python
	@echo "== Monosemanticity of 49,152 latents over 50,000 images: time and working memory (needs about 11 GB)"
	$(BIN) bench ms
	@echo "== SAE training from a 50,000-image activation cache on disk (7.7 GB, in the temporary folder): memory and tokens/s beside memory"
	$(BIN) bench cache
	@echo "== Widget updates on the toy model, as JupyterLab sees them (clip.steer, sae.explore)"
	$(PY) bench/widget_latency.py

# Coverage-guided fuzzing with libFuzzer, FUZZ_SECONDS per target, from the
# seed corpus in Tests/Fuzz/corpus (make test runs the seeded mutation
# fuzzers in the Swift tests for about 30 s instead). Fuzz/ is a package of
# its own: every module it links is built with -sanitize=fuzzer. A crash
# stops the run and leaves the input as out/fuzz/crash-*.
FUZZ_SECONDS ?= 600
FUZZ_BUILD := swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer
fuzz: apt
	@mkdir -p out/fuzz/language out/fuzz/wire
	@$(FUZZ_BUILD) --product fuzz-language 2>&1 | grep -E "error:" ; true
	@$(FUZZ_BUILD) --product fuzz-wire 2>&1 | grep -E "error:" ; true
	@cp Tests/Fuzz/corpus/language/* out/fuzz/language/ && cp Tests/Fuzz/corpus/frames/* out/fuzz/wire/
	Fuzz/.build/release/fuzz-language out/fuzz/language -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=8192 \
	    -max_len=8192 -artifact_prefix=out/fuzz/ -print_final_stats=1 2>&1 | grep -E "^(Done|stat::number_of_executed|==|SUMMARY)|crash"
	Fuzz/.build/release/fuzz-wire out/fuzz/wire -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=8192 \
	    -artifact_prefix=out/fuzz/ -print_final_stats=1 2>&1 | grep -E "^(Done|stat::number_of_executed|==|SUMMARY)|crash"
	@! ls out/fuzz/crash-* 2>/dev/null
	@echo "Every builtin with extreme arguments, for $(FUZZ_SECONDS) s"
	@swift build -c release $(IMPORT_CHECK) --build-tests 2>&1 | grep -E "error:" ; true
	@LOUPE_FUZZ_SECONDS=$(FUZZ_SECONDS) swift test -c release --skip-build --filter RegistryFuzzTests > out/fuzz/registry.log 2>&1; \
	 rc=$$?; grep -E "fuzz registry|✘|Test run" out/fuzz/registry.log; exit $$rc

# One kernel, 10,000 executes with rich output: no reply may be lost and
# resident memory may not grow more than 5% after a warm-up. Takes minutes;
# not part of `make test`.
soak: kernelspec
	$(PY) bench/soak.py

clean:
	rm -rf .build out $(VENV)
