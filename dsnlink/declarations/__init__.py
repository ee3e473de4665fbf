"""Declarations: intake (streamed, encrypted, validated), receipts, transmission order, tracking."""
