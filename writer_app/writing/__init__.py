"""The writing pipeline: outline (thought), draft and critique. Qt-free."""
