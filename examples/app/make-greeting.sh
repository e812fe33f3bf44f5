#!/bin/sh
# Runs inside the build stage's container.
echo "hello from $(uname -s) $(uname -m), built by pipekit"
