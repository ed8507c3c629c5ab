"""The Qt wizard. The only layer that imports Qt; it talks to the core only through the flow."""
