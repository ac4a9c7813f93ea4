"""The agent console: sign-in, live screen pops over a websocket, call controls and wrap-up."""
