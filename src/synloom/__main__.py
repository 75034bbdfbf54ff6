from synloom.cli.app import main

main()
