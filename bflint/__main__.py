from bflint.cli import main

main()
