"""The grid team: who works each grid, their A/B partner, and their leave."""
