"""Members, their memberships of communities, and who follows whom."""
