"""FastAGI: the routing server Asterisk asks where an inbound call goes."""
