from bflint.rule import Rule


class ParseError(Rule):
    """## What it does
    Reports a file (or a notebook cell) that is not valid Python, or that
    cannot be decoded, with the parser's message and position.

    ## Why is this bad?
    bflint analyses only code that parses; a file with a syntax error is not
    checked at all, so its other problems stay hidden. (Files without any
    BayesFlow content are not parsed, so they never get this finding.)

    ## Example
    ```python
    workflow.fit_offline(data=train, epochs=100,
    ```

    ## Use instead
    ```python
    workflow.fit_offline(data=train, epochs=100, validation_data=val)
    ```
    """

    CODE = "BF000"
    NAME = "parse-error"
    SEVERITY = "E"
    MESSAGE = "SyntaxError: {detail}"
