"""The official Jupyter kernel conformance suite, run against the installed
`loupe` kernelspec."""
import unittest

import jupyter_kernel_test


class LoupeConformance(jupyter_kernel_test.KernelTests):
    kernel_name = "loupe"
    language_name = "loupe"
    file_extension = ".loupe"

    code_hello_world = 'print("hello, world")'
    code_stderr = 'warn("something to notice")'

    completion_samples = [
        {"text": "Datas", "matches": {"Dataset"}},
        {"text": "pri", "matches": {"print"}},
        {"text": "clearOut", "matches": {"clearOutput"}},
    ]
    complete_code_samples = ["print(1)", "let x = 2", "for i in 0..<3 { print(i) }", ""]
    incomplete_code_samples = ["let x = [1, 2", "for i in 0..<3 {", 'print("open', "let y ="]
    invalid_code_samples = ["let = )", "1 +* 2", "print(1))"]

    code_page_something = "help(print)"
    code_generate_error = "undefinedName + 1"
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"ab" + "c"', "result": '"abc"'},
        {"code": "[1, 2, 3].count", "result": "3"},
        {"code": "7 / 2.0", "result": "3.5"},
    ]
    code_display_data = [{"code": "show(logo(size: 32))", "mime": "image/png"}]
    code_history_pattern = "6 *"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "print"
    code_clear_output = "clearOutput()"


if __name__ == "__main__":
    unittest.main()
