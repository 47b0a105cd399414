"""Reading and writing Dialogflow CX JSON packages (export zips and folders)."""
