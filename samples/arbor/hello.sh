#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A script: arbor measures it and then its interpreter.
echo "hello from a measured script"
