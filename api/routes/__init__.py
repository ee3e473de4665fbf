"""One router per noun; each route parses, calls one service function, returns."""
