"""Thin blueprints: parse, call one service or server method, render."""
