"""What a review author takes away: review tables (pandas), figures (matplotlib) and the
one-command refresh that rebuilds them."""
