from pksai.cli import main

main()
