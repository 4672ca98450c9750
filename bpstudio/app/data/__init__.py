"""The dataset panel and the import dialog."""
