"""Forecasts of area figures 1 to 14 days ahead with prediction intervals, trained only on values
known at the forecast date (service/returns/releases.py), their backtest and scores."""
