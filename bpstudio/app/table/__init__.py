"""The δ/Δw table: its rows (Qt-free), the Qt model that only formats them, and the view."""
