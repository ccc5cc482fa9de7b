"""The computation: schedules, products, patient adjustments, tapers, missed doses,
checks of proposed plans, dose-log audits and plan files. Never imports render/."""
