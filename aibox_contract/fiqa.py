"""Face image quality levels of the fiqa command (upstream §5.3)."""

# Strictest first; edge_agent/face/quality.py holds one bound per level, in this order.
FIQA_LEVELS = ("high", "middle", "custom", "low", "no")
