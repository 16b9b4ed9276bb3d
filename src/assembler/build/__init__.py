"""The build stages: assemble a template per selection, render each person, write the batch."""
