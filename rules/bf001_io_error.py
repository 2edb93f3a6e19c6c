from bflint.rule import Rule


class IOError_(Rule):
    """## What it does
    Reports a path given on the command line that does not exist, or a file
    that cannot be read (permissions, a broken link).

    ## Why is this bad?
    A file bflint cannot read is a file nobody checked; a typo in a path in a
    pre-commit hook or CI job would otherwise pass silently.

    ## Example
    ```console
    $ bflint trian.py
    ```

    ## Use instead
    ```console
    $ bflint train.py
    ```
    """

    CODE = "BF001"
    NAME = "io-error"
    SEVERITY = "E"
    MESSAGE = "cannot read the file: {detail}"
