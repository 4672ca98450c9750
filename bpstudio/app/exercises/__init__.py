"""Exercise mode: the dialog that opens one and the panel where a student types and checks answers."""
