from synthgen.cli.main import main

main()
