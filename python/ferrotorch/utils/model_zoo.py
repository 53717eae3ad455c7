"""`torch.utils.model_zoo`: the older name of `hub.load_state_dict_from_url`, kept for code that still
imports it from here.

    >>> import ferrotorch as torch
    >>> torch.utils.model_zoo.load_url is torch.hub.load_state_dict_from_url
    True
"""
from ..hub import load_state_dict_from_url as load_url  # noqa: F401

__all__ = ["load_url"]
