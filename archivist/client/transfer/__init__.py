"""The client side of blob transfers with a server, and the client cache they go through."""
