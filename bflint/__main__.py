from bflint.entry import main

main()
