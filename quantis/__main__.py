from quantis.cli import app

app()
