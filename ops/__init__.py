"""The operator command line: operator tokens, revocation and the registry feed's bulk import,
against the local stack or an AWS stage, through the same services the API calls.

`python -m ops --help` lists the commands. It is a tool of the people who run DHN, holding AWS
credentials for the stage; it is not shipped in the Lambda package.
"""
