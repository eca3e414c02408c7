// SPDX-License-Identifier: Apache-2.0
// TeecertAnchor — on-chain anchor of teecert's certificate transparency log (DESIGN.md "Transparency log
// and anchoring"). The owner (the teecert-anchor process's chain key, fixed at deployment) records one
// checkpoint per transaction: the RFC 9162 tree size and root hash, plus the previously anchored size so
// that anchors form a chain and a lost or reordered transaction is rejected instead of silently skipped.
// Gas is constant: two storage writes and one event, whatever the number of entries in the checkpoint.
//
// The C side (chain/chain.h CHAIN_ANCHOR_FN_SIG, CHAIN_ANCHORED_EVENT_SIG) must match this interface;
// tests/unit/chain/test_chain_abi.c checks it against the compiled artifact TeecertAnchor.json, which
// deploy/compile-contract.sh regenerates byte for byte.
pragma solidity 0.8.37;

contract TeecertAnchor {
    /// The only account allowed to anchor (the deployer).
    address public immutable owner;
    /// Tree size and root of the last anchored checkpoint (0 and zero before the first).
    uint64 public lastTreeSize;
    bytes32 public lastRoot;

    /// One checkpoint: treeSize is indexed so auditors can find the anchor of a given size with a topic
    /// filter. The signature Anchored(uint64,bytes32,uint64) is the project's event topic (shared vectors);
    /// the time of an anchor is its block's.
    event Anchored(uint64 indexed treeSize, bytes32 root, uint64 prevTreeSize);

    error NotOwner();
    error TreeSizeNotGrowing(uint64 lastTreeSize, uint64 treeSize);
    error PrevTreeSizeMismatch(uint64 lastTreeSize, uint64 prevTreeSize);

    constructor() {
        owner = msg.sender;
    }

    /// Record checkpoint (treeSize, root). prevTreeSize must equal the last anchored size (0 at first),
    /// and treeSize must be larger.
    function anchor(uint64 treeSize, bytes32 root, uint64 prevTreeSize) external {
        if (msg.sender != owner) revert NotOwner();
        uint64 last = lastTreeSize;
        if (prevTreeSize != last) revert PrevTreeSizeMismatch(last, prevTreeSize);
        if (treeSize <= last) revert TreeSizeNotGrowing(last, treeSize);
        lastTreeSize = treeSize;
        lastRoot = root;
        emit Anchored(treeSize, root, prevTreeSize);
    }

    /// The last anchored checkpoint in one call.
    function latest() external view returns (uint64 treeSize, bytes32 root) {
        return (lastTreeSize, lastRoot);
    }
}
