"""The simulated PBX: an AMI server speaking as Asterisk 22 does, driven by the simulation."""
