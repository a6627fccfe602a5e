"""agent/cli/app.py: a browser starting `postseal` as its native host reaches the host, not
the parser (Chrome adds arguments argparse would refuse); `native-host --help` is help."""

from agent.cli.programs import native_host_args

ORIGIN = "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"


def test_a_browser_start_is_the_native_host_with_the_browsers_own_arguments():
    assert native_host_args(["native-host", ORIGIN, "--parent-window=0"]) == [ORIGIN, "--parent-window=0"]
    assert native_host_args([ORIGIN, "--parent-window=0"]) == [ORIGIN, "--parent-window=0"]


def test_help_and_every_other_command_go_to_the_parser():
    for argv in (["native-host", "--help"], ["native-host", "-h"], [], ["outbox"], ["tray", ORIGIN]):
        assert native_host_args(argv) is None, argv
