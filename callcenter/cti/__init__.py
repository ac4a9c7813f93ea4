"""CTI adapter: the AMI connection, event translation, the call tracker and PBX commands."""
