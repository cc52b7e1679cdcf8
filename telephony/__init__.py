"""Asterisk AMI adapter: follows calls on the PBX and publishes typed call events to the desk."""
