"""The hand-calculation walkthrough panel, its canvas highlighting, and the room that installs it."""
