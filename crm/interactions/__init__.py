"""The contact history: entries agents write and calls from the PBX written as history."""
