"""The result cache: what a key covers, where entries are kept, the blob ids
of the files tasks read, and the durations of earlier runs."""
