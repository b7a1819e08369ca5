"""The official Jupyter kernel conformance suite, run against the installed
`loupe` kernelspec."""
import unittest

import jupyter_kernel_test
from jupyter_kernel_test.msgspec_v5 import validate_message

from conftest import iopub_until, is_idle, reply_to


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

    # The suite takes the next shell message as the reply to its request and
    # reads iopub with 0.1 s timeouts after the reply. On a loaded machine a
    # stale reply (start-up's extra kernel_info requests) can come first, and
    # iopub can lag the shell reply by more than 0.1 s. Here replies and
    # iopub messages are matched to their request by msg_id instead; every
    # check the suite makes on them stays.
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        kc = cls.kc
        send = kc.shell_channel.send

        def send_remembering(msg):
            kc.last_request = msg["header"]["msg_id"]
            send(msg)

        kc.shell_channel.send = send_remembering
        # Every reply the suite reads is to the request it sent last.
        kc.get_shell_msg = lambda timeout=None, **_: reply_to(kc, kc.last_request, timeout=timeout)

    def execute_helper(self, code, timeout=jupyter_kernel_test.TIMEOUT, silent=False,
                       store_history=True, stop_on_error=True):
        msg_id = self.kc.execute(code=code, silent=silent, store_history=store_history,
                                 stop_on_error=stop_on_error)
        reply = reply_to(self.kc, msg_id, timeout=max(timeout, 60))
        validate_message(reply, "execute_reply", msg_id)
        busy, *messages, idle = iopub_until(self.kc, msg_id, is_idle, timeout=60)
        validate_message(busy, "status", msg_id)
        self.assertEqual(busy["content"]["execution_state"], "busy")
        validate_message(idle, "status", msg_id)
        output_msgs = []
        for msg in messages:
            validate_message(msg, msg["msg_type"], msg_id)
            self.assertNotEqual(msg["msg_type"], "status")
            if msg["msg_type"] == "execute_input":
                self.assertEqual(msg["content"]["code"], code)
                continue
            output_msgs.append(msg)
        return reply, output_msgs


if __name__ == "__main__":
    unittest.main()
