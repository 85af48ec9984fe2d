#!/bin/sh
echo "hello from a verified tool 1.0.0"
