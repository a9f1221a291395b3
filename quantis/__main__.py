from quantis.cli import run

run()
