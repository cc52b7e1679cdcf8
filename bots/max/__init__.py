"""The patient bot on the MAX messenger: a thin adapter that runs the aiogram dialog over MAX."""
