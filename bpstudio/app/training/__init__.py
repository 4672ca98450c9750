"""Training: the settings panel, the background run (a reusable task, the training job, the show gate) and
the room that installs the toolbar and panels.
"""
