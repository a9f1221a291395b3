"""Registry: register each trained model and promote it when it wins."""
