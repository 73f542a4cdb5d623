"""Parity suite: Optuna's documented public API, run against tftune (``import tftune as
optuna``). One module per Optuna public module; see README's migration section for the
deliberate differences."""
