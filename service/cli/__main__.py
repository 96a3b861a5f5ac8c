"""`python -m service.cli ...` runs the `nhskg` command line."""

from service.cli.main import main

main()
