"""A to-do list kept in a JSON file, with a small command line."""
