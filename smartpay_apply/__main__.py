"""`python -m smartpay_apply` runs the CLI, so tests and CI can drive it without the console script."""

from smartpay_apply.cli.main import main

if __name__ == "__main__":
    main()
