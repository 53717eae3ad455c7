"""The families behind `nn.functional`, one file each; `functional.py` re-exports them."""
