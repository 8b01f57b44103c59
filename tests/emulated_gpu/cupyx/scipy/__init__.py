"""``cupyx.scipy`` stand-in."""
