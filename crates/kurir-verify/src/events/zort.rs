//! ZORT's event types as Rust types, one per catalog type.
//!
//! Generated from `catalog/zort/*.json` by `crates/kurir-verify/tests/generated_events.rs`; do not edit by hand.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::NumberOrText;

/// `UPDATEORDERTRACKING`: Order tracking number changed.
pub type UpdateOrderTracking = Vec<UpdateOrderTrackingItem>;

/// `ADDCONTACT`: Contact created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AddContact {
    /// inferred from repaired example
    pub code: Option<NumberOrText>,
    /// inferred from repaired example
    pub email: Option<NumberOrText>,
    /// inferred from repaired example
    pub id: Option<NumberOrText>,
    /// observed: numeric value serialized as a JSON string; inferred from repaired example
    pub idnumber: Option<NumberOrText>,
    /// inferred from repaired example
    pub name: Option<NumberOrText>,
    /// observed: numeric value serialized as a JSON string; inferred from repaired example
    pub phone: Option<NumberOrText>,
}

/// A part of [`AddOrder`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AddOrderListItem {
    pub discount: Option<Value>,
    pub name: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
    pub pricepernumber: Option<NumberOrText>,
    pub productid: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
    pub totalprice: Option<NumberOrText>,
}

/// `ADDORDER`: Order created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AddOrder {
    pub amount: Option<NumberOrText>,
    pub customeraddress: Option<Value>,
    pub customerbranchname: Option<Value>,
    pub customerbranchno: Option<Value>,
    pub customeremail: Option<Value>,
    pub customerid: Option<NumberOrText>,
    pub customeridnumber: Option<Value>,
    pub customername: Option<NumberOrText>,
    pub customerphone: Option<Value>,
    pub description: Option<Value>,
    pub discount: Option<Value>,
    pub id: Option<NumberOrText>,
    #[serde(rename = "isCOD")]
    pub is_cod: Option<bool>,
    pub list: Option<Vec<Option<AddOrderListItem>>>,
    pub number: Option<NumberOrText>,
    /// observed: .NET JSON date string /Date(epoch-ms)/
    pub orderdate: Option<NumberOrText>,
    #[serde(rename = "orderdateString")]
    pub orderdate_string: Option<NumberOrText>,
    pub paymentamount: Option<NumberOrText>,
    pub paymentstatus: Option<NumberOrText>,
    pub reference: Option<Value>,
    pub saleschannel: Option<Value>,
    pub shippingaddress: Option<Value>,
    pub shippingamount: Option<Value>,
    pub shippingchannel: Option<Value>,
    pub shippingdate: Option<Value>,
    pub shippingemail: Option<Value>,
    pub shippingname: Option<Value>,
    pub shippingphone: Option<Value>,
    pub shippingvat: Option<Value>,
    pub status: Option<NumberOrText>,
    pub trackingno: Option<Value>,
    pub vatamount: Option<Value>,
    pub vattype: Option<NumberOrText>,
}

/// `ADDPRODUCT`: Product created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AddProduct {
    /// observed: numeric value serialized as a JSON string
    pub barcode: Option<NumberOrText>,
    pub category: Option<NumberOrText>,
    pub id: Option<NumberOrText>,
    pub name: Option<NumberOrText>,
    /// observed: numeric value serialized as a JSON string
    pub purchaseprice: Option<NumberOrText>,
    /// observed: numeric value serialized as a JSON string
    pub sellprice: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
    pub unittext: Option<NumberOrText>,
    /// observed: numeric value serialized as a JSON string
    pub weight: Option<NumberOrText>,
}

/// A part of [`AddPurchaseOrder`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AddPurchaseOrderListItem {
    pub discount: Option<Value>,
    pub name: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
    pub pricepernumber: Option<NumberOrText>,
    pub productid: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
    pub totalprice: Option<NumberOrText>,
}

/// `ADDPURCHASEORDER`: Purchase order created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AddPurchaseOrder {
    pub amount: Option<NumberOrText>,
    pub customeraddress: Option<Value>,
    pub customeremail: Option<Value>,
    pub customerid: Option<NumberOrText>,
    pub customeridnumber: Option<Value>,
    pub customername: Option<NumberOrText>,
    pub customerphone: Option<Value>,
    pub description: Option<Value>,
    pub discount: Option<Value>,
    pub id: Option<NumberOrText>,
    pub list: Option<Vec<Option<AddPurchaseOrderListItem>>>,
    pub number: Option<NumberOrText>,
    pub paymentamount: Option<NumberOrText>,
    pub paymentstatus: Option<NumberOrText>,
    /// observed: .NET JSON date string /Date(epoch-ms)/
    pub purchaseorderdate: Option<NumberOrText>,
    #[serde(rename = "purchaseorderdateString")]
    pub purchaseorderdate_string: Option<NumberOrText>,
    pub reference: Option<Value>,
    pub status: Option<NumberOrText>,
    pub vatamount: Option<Value>,
    pub vattype: Option<NumberOrText>,
}

/// A part of [`AddReturnOrder`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AddReturnOrderListItem {
    pub discount: Option<Value>,
    pub name: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
    pub pricepernumber: Option<NumberOrText>,
    pub productid: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
    pub totalprice: Option<NumberOrText>,
}

/// `ADDRETURNORDER`: Return order created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AddReturnOrder {
    pub amount: Option<NumberOrText>,
    pub customeraddress: Option<Value>,
    pub customeremail: Option<Value>,
    pub customerid: Option<NumberOrText>,
    pub customeridnumber: Option<Value>,
    pub customername: Option<NumberOrText>,
    pub customerphone: Option<Value>,
    pub description: Option<Value>,
    pub discount: Option<Value>,
    pub id: Option<NumberOrText>,
    pub list: Option<Vec<Option<AddReturnOrderListItem>>>,
    pub number: Option<NumberOrText>,
    pub paymentamount: Option<NumberOrText>,
    pub paymentstatus: Option<NumberOrText>,
    pub reference: Option<NumberOrText>,
    pub referenceid: Option<NumberOrText>,
    /// observed: .NET JSON date string /Date(epoch-ms)/
    pub returnorderdate: Option<NumberOrText>,
    #[serde(rename = "returnorderdateString")]
    pub returnorderdate_string: Option<NumberOrText>,
    pub status: Option<NumberOrText>,
    pub vatamount: Option<Value>,
    pub vattype: Option<NumberOrText>,
}

/// A part of [`AddReturnPurchaseOrder`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AddReturnPurchaseOrderListItem {
    pub discount: Option<Value>,
    pub name: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
    pub pricepernumber: Option<NumberOrText>,
    pub productid: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
    pub totalprice: Option<NumberOrText>,
}

/// `ADDRETURNPURCHASEORDER`: Return purchase created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AddReturnPurchaseOrder {
    pub amount: Option<NumberOrText>,
    pub customeraddress: Option<Value>,
    pub customeremail: Option<Value>,
    pub customerid: Option<NumberOrText>,
    pub customeridnumber: Option<Value>,
    pub customername: Option<NumberOrText>,
    pub customerphone: Option<Value>,
    pub description: Option<Value>,
    pub discount: Option<Value>,
    pub id: Option<NumberOrText>,
    pub list: Option<Vec<Option<AddReturnPurchaseOrderListItem>>>,
    pub number: Option<NumberOrText>,
    pub paymentamount: Option<NumberOrText>,
    pub paymentstatus: Option<NumberOrText>,
    pub reference: Option<NumberOrText>,
    pub referenceid: Option<NumberOrText>,
    /// observed: .NET JSON date string /Date(epoch-ms)/
    pub returnpurchaseorderdate: Option<NumberOrText>,
    #[serde(rename = "returnpurchaseorderdateString")]
    pub returnpurchaseorderdate_string: Option<NumberOrText>,
    pub status: Option<NumberOrText>,
    pub vatamount: Option<Value>,
    pub vattype: Option<NumberOrText>,
}

/// A part of [`AddTransfer`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AddTransferListItem {
    pub name: Option<NumberOrText>,
    /// observed: numeric value serialized as a JSON string
    pub number: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
}

/// `ADDTRANSFER`: Transfer created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AddTransfer {
    pub fromwarehousecode: Option<NumberOrText>,
    pub id: Option<NumberOrText>,
    pub list: Option<Vec<Option<AddTransferListItem>>>,
    pub number: Option<NumberOrText>,
    pub status: Option<NumberOrText>,
    pub towarehousecode: Option<NumberOrText>,
    pub transferdate: Option<NumberOrText>,
}

/// `ADDWAREHOUSE`: Warehouse created.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AddWarehouse {
    pub code: Option<NumberOrText>,
    pub id: Option<NumberOrText>,
    pub name: Option<NumberOrText>,
}

/// `DELETECONTACT`: Contact deleted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DeleteContact {
    /// inferred from repaired example
    pub code: Option<NumberOrText>,
    /// inferred from repaired example
    pub id: Option<NumberOrText>,
}

/// `DELETEORDER`: Order deleted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DeleteOrder {
    pub id: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
}

/// `DELETEPRODUCT`: Product deleted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DeleteProduct {
    pub id: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
}

/// `DELETEPURCHASEORDER`: Purchase order deleted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DeletePurchaseOrder {
    pub id: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
}

/// `DELETERETURNORDER`: Return order deleted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DeleteReturnOrder {
    pub id: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
}

/// `DELETERETURNPURCHASEORDER`: Return purchase deleted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DeleteReturnPurchaseOrder {
    pub id: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
}

/// `DELETEWAREHOUSE`: Warehouse deleted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DeleteWarehouse {
    pub code: Option<NumberOrText>,
    pub id: Option<NumberOrText>,
}

/// `UPDATECONTACT`: Contact modified.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateContact {
    /// inferred from repaired example
    pub code: Option<NumberOrText>,
    /// inferred from repaired example
    pub email: Option<NumberOrText>,
    /// inferred from repaired example
    pub id: Option<NumberOrText>,
    /// observed: numeric value serialized as a JSON string; inferred from repaired example
    pub idnumber: Option<NumberOrText>,
    /// inferred from repaired example
    pub name: Option<NumberOrText>,
    /// observed: numeric value serialized as a JSON string; inferred from repaired example
    pub phone: Option<NumberOrText>,
}

/// A part of [`UpdateOrder`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateOrderListItem {
    pub discount: Option<Value>,
    pub name: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
    pub pricepernumber: Option<NumberOrText>,
    pub productid: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
    pub totalprice: Option<NumberOrText>,
}

/// `UPDATEORDER`: Order modified / status changed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateOrder {
    pub amount: Option<NumberOrText>,
    pub customeraddress: Option<Value>,
    pub customerbranchname: Option<Value>,
    pub customerbranchno: Option<Value>,
    pub customeremail: Option<Value>,
    pub customerid: Option<NumberOrText>,
    pub customeridnumber: Option<Value>,
    pub customername: Option<NumberOrText>,
    pub customerphone: Option<Value>,
    pub description: Option<Value>,
    pub discount: Option<Value>,
    pub id: Option<NumberOrText>,
    #[serde(rename = "isCOD")]
    pub is_cod: Option<bool>,
    pub list: Option<Vec<Option<UpdateOrderListItem>>>,
    pub number: Option<NumberOrText>,
    /// observed: .NET JSON date string /Date(epoch-ms)/
    pub orderdate: Option<NumberOrText>,
    #[serde(rename = "orderdateString")]
    pub orderdate_string: Option<NumberOrText>,
    pub paymentamount: Option<NumberOrText>,
    pub paymentstatus: Option<NumberOrText>,
    pub reference: Option<Value>,
    pub saleschannel: Option<Value>,
    pub shippingaddress: Option<Value>,
    pub shippingamount: Option<Value>,
    pub shippingchannel: Option<Value>,
    pub shippingdate: Option<Value>,
    pub shippingemail: Option<Value>,
    pub shippingname: Option<Value>,
    pub shippingphone: Option<Value>,
    pub shippingvat: Option<Value>,
    pub status: Option<NumberOrText>,
    pub trackingno: Option<Value>,
    pub vatamount: Option<Value>,
    pub vattype: Option<NumberOrText>,
}

/// A part of [`UpdateOrderPayment`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateOrderPaymentListItem {
    pub discount: Option<Value>,
    pub name: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
    pub pricepernumber: Option<NumberOrText>,
    pub productid: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
    pub totalprice: Option<NumberOrText>,
}

/// `UPDATEORDERPAYMENT`: Order payments changed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateOrderPayment {
    pub amount: Option<NumberOrText>,
    pub customeraddress: Option<Value>,
    pub customerbranchname: Option<Value>,
    pub customerbranchno: Option<Value>,
    pub customeremail: Option<Value>,
    pub customerid: Option<NumberOrText>,
    pub customeridnumber: Option<Value>,
    pub customername: Option<NumberOrText>,
    pub customerphone: Option<Value>,
    pub description: Option<Value>,
    pub discount: Option<Value>,
    pub id: Option<NumberOrText>,
    #[serde(rename = "isCOD")]
    pub is_cod: Option<bool>,
    pub list: Option<Vec<Option<UpdateOrderPaymentListItem>>>,
    pub number: Option<NumberOrText>,
    /// observed: .NET JSON date string /Date(epoch-ms)/
    pub orderdate: Option<NumberOrText>,
    #[serde(rename = "orderdateString")]
    pub orderdate_string: Option<NumberOrText>,
    pub paymentamount: Option<NumberOrText>,
    pub paymentstatus: Option<NumberOrText>,
    pub reference: Option<Value>,
    pub saleschannel: Option<Value>,
    pub shippingaddress: Option<Value>,
    pub shippingamount: Option<Value>,
    pub shippingchannel: Option<Value>,
    pub shippingdate: Option<Value>,
    pub shippingemail: Option<Value>,
    pub shippingname: Option<Value>,
    pub shippingphone: Option<Value>,
    pub shippingvat: Option<Value>,
    pub status: Option<NumberOrText>,
    pub trackingno: Option<Value>,
    pub vatamount: Option<Value>,
    pub vattype: Option<NumberOrText>,
}

/// A part of [`UpdateOrderTracking`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateOrderTrackingItem {
    pub shippingdate: Option<Value>,
    pub trackingno: Option<NumberOrText>,
    pub trackingurl: Option<NumberOrText>,
}

/// `UPDATEPRODUCT`: Product modified.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateProduct {
    /// observed: numeric value serialized as a JSON string
    pub barcode: Option<NumberOrText>,
    pub category: Option<NumberOrText>,
    pub id: Option<NumberOrText>,
    pub name: Option<NumberOrText>,
    /// observed: numeric value serialized as a JSON string
    pub purchaseprice: Option<NumberOrText>,
    /// observed: numeric value serialized as a JSON string
    pub sellprice: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
    pub unittext: Option<NumberOrText>,
    /// observed: numeric value serialized as a JSON string
    pub weight: Option<NumberOrText>,
}

/// `UPDATEPRODUCTQUANTITY`: Product quantity changed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateProductQuantity {
    /// observed: numeric value serialized as a JSON string
    pub availablestock: Option<NumberOrText>,
    pub id: Option<NumberOrText>,
    pub name: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
    /// observed: numeric value serialized as a JSON string
    pub stock: Option<NumberOrText>,
}

/// A part of [`UpdatePurchaseOrder`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdatePurchaseOrderListItem {
    pub discount: Option<Value>,
    pub name: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
    pub pricepernumber: Option<NumberOrText>,
    pub productid: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
    pub totalprice: Option<NumberOrText>,
}

/// `UPDATEPURCHASEORDER`: Purchase order modified / status changed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdatePurchaseOrder {
    pub amount: Option<NumberOrText>,
    pub customeraddress: Option<Value>,
    pub customeremail: Option<Value>,
    pub customerid: Option<NumberOrText>,
    pub customeridnumber: Option<Value>,
    pub customername: Option<NumberOrText>,
    pub customerphone: Option<Value>,
    pub description: Option<Value>,
    pub discount: Option<Value>,
    pub id: Option<NumberOrText>,
    pub list: Option<Vec<Option<UpdatePurchaseOrderListItem>>>,
    pub number: Option<NumberOrText>,
    pub paymentamount: Option<NumberOrText>,
    pub paymentstatus: Option<NumberOrText>,
    /// observed: .NET JSON date string /Date(epoch-ms)/
    pub purchaseorderdate: Option<NumberOrText>,
    #[serde(rename = "purchaseorderdateString")]
    pub purchaseorderdate_string: Option<NumberOrText>,
    pub reference: Option<Value>,
    pub status: Option<NumberOrText>,
    pub vatamount: Option<Value>,
    pub vattype: Option<NumberOrText>,
}

/// A part of [`UpdatePurchaseOrderPayment`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdatePurchaseOrderPaymentListItem {
    pub discount: Option<Value>,
    pub name: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
    pub pricepernumber: Option<NumberOrText>,
    pub productid: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
    pub totalprice: Option<NumberOrText>,
}

/// `UPDATEPURCHASEORDERPAYMENT`: Purchase order payments changed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdatePurchaseOrderPayment {
    pub amount: Option<NumberOrText>,
    pub customeraddress: Option<Value>,
    pub customeremail: Option<Value>,
    pub customerid: Option<NumberOrText>,
    pub customeridnumber: Option<Value>,
    pub customername: Option<NumberOrText>,
    pub customerphone: Option<Value>,
    pub description: Option<Value>,
    pub discount: Option<Value>,
    pub id: Option<NumberOrText>,
    pub list: Option<Vec<Option<UpdatePurchaseOrderPaymentListItem>>>,
    pub number: Option<NumberOrText>,
    pub paymentamount: Option<NumberOrText>,
    pub paymentstatus: Option<NumberOrText>,
    /// observed: .NET JSON date string /Date(epoch-ms)/
    pub purchaseorderdate: Option<NumberOrText>,
    #[serde(rename = "purchaseorderdateString")]
    pub purchaseorderdate_string: Option<NumberOrText>,
    pub reference: Option<Value>,
    pub status: Option<NumberOrText>,
    pub vatamount: Option<Value>,
    pub vattype: Option<NumberOrText>,
}

/// A part of [`UpdateReturnOrder`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateReturnOrderListItem {
    pub discount: Option<Value>,
    pub name: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
    pub pricepernumber: Option<NumberOrText>,
    pub productid: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
    pub totalprice: Option<NumberOrText>,
}

/// `UPDATERETURNORDER`: Return order modified / status changed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateReturnOrder {
    pub amount: Option<NumberOrText>,
    pub customeraddress: Option<Value>,
    pub customeremail: Option<Value>,
    pub customerid: Option<NumberOrText>,
    pub customeridnumber: Option<Value>,
    pub customername: Option<NumberOrText>,
    pub customerphone: Option<Value>,
    pub description: Option<Value>,
    pub discount: Option<Value>,
    pub id: Option<NumberOrText>,
    pub list: Option<Vec<Option<UpdateReturnOrderListItem>>>,
    pub number: Option<NumberOrText>,
    pub paymentamount: Option<NumberOrText>,
    pub paymentstatus: Option<NumberOrText>,
    pub reference: Option<NumberOrText>,
    pub referenceid: Option<NumberOrText>,
    /// observed: .NET JSON date string /Date(epoch-ms)/
    pub returnorderdate: Option<NumberOrText>,
    #[serde(rename = "returnorderdateString")]
    pub returnorderdate_string: Option<NumberOrText>,
    pub status: Option<NumberOrText>,
    pub vatamount: Option<Value>,
    pub vattype: Option<NumberOrText>,
}

/// A part of [`UpdateReturnOrderPayment`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateReturnOrderPaymentListItem {
    pub discount: Option<Value>,
    pub name: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
    pub pricepernumber: Option<NumberOrText>,
    pub productid: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
    pub totalprice: Option<NumberOrText>,
}

/// `UPDATERETURNORDERPAYMENT`: Return order payments changed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateReturnOrderPayment {
    pub amount: Option<NumberOrText>,
    pub customeraddress: Option<Value>,
    pub customeremail: Option<Value>,
    pub customerid: Option<NumberOrText>,
    pub customeridnumber: Option<Value>,
    pub customername: Option<NumberOrText>,
    pub customerphone: Option<Value>,
    pub description: Option<Value>,
    pub discount: Option<Value>,
    pub id: Option<NumberOrText>,
    pub list: Option<Vec<Option<UpdateReturnOrderPaymentListItem>>>,
    pub number: Option<NumberOrText>,
    pub paymentamount: Option<NumberOrText>,
    pub paymentstatus: Option<NumberOrText>,
    pub reference: Option<NumberOrText>,
    pub referenceid: Option<NumberOrText>,
    /// observed: .NET JSON date string /Date(epoch-ms)/
    pub returnorderdate: Option<NumberOrText>,
    #[serde(rename = "returnorderdateString")]
    pub returnorderdate_string: Option<NumberOrText>,
    pub status: Option<NumberOrText>,
    pub vatamount: Option<Value>,
    pub vattype: Option<NumberOrText>,
}

/// A part of [`UpdateReturnPurchaseOrder`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateReturnPurchaseOrderListItem {
    pub discount: Option<Value>,
    pub name: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
    pub pricepernumber: Option<NumberOrText>,
    pub productid: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
    pub totalprice: Option<NumberOrText>,
}

/// `UPDATERETURNPURCHASEORDER`: Return purchase modified / status changed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateReturnPurchaseOrder {
    pub amount: Option<NumberOrText>,
    pub customeraddress: Option<Value>,
    pub customeremail: Option<Value>,
    pub customerid: Option<NumberOrText>,
    pub customeridnumber: Option<Value>,
    pub customername: Option<NumberOrText>,
    pub customerphone: Option<Value>,
    pub description: Option<Value>,
    pub discount: Option<Value>,
    pub id: Option<NumberOrText>,
    pub list: Option<Vec<Option<UpdateReturnPurchaseOrderListItem>>>,
    pub number: Option<NumberOrText>,
    pub paymentamount: Option<NumberOrText>,
    pub paymentstatus: Option<NumberOrText>,
    pub reference: Option<NumberOrText>,
    pub referenceid: Option<NumberOrText>,
    /// observed: .NET JSON date string /Date(epoch-ms)/
    pub returnpurchaseorderdate: Option<NumberOrText>,
    #[serde(rename = "returnpurchaseorderdateString")]
    pub returnpurchaseorderdate_string: Option<NumberOrText>,
    pub status: Option<NumberOrText>,
    pub vatamount: Option<Value>,
    pub vattype: Option<NumberOrText>,
}

/// A part of [`UpdateReturnPurchaseOrderPayment`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateReturnPurchaseOrderPaymentListItem {
    pub discount: Option<Value>,
    pub name: Option<NumberOrText>,
    pub number: Option<NumberOrText>,
    pub pricepernumber: Option<NumberOrText>,
    pub productid: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
    pub totalprice: Option<NumberOrText>,
}

/// `UPDATERETURNPURCHASEORDERPAYMENT`: Return purchase payments changed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateReturnPurchaseOrderPayment {
    pub amount: Option<NumberOrText>,
    pub customeraddress: Option<Value>,
    pub customeremail: Option<Value>,
    pub customerid: Option<NumberOrText>,
    pub customeridnumber: Option<Value>,
    pub customername: Option<NumberOrText>,
    pub customerphone: Option<Value>,
    pub description: Option<Value>,
    pub discount: Option<Value>,
    pub id: Option<NumberOrText>,
    pub list: Option<Vec<Option<UpdateReturnPurchaseOrderPaymentListItem>>>,
    pub number: Option<NumberOrText>,
    pub paymentamount: Option<NumberOrText>,
    pub paymentstatus: Option<NumberOrText>,
    pub reference: Option<NumberOrText>,
    pub referenceid: Option<NumberOrText>,
    /// observed: .NET JSON date string /Date(epoch-ms)/
    pub returnpurchaseorderdate: Option<NumberOrText>,
    #[serde(rename = "returnpurchaseorderdateString")]
    pub returnpurchaseorderdate_string: Option<NumberOrText>,
    pub status: Option<NumberOrText>,
    pub vatamount: Option<Value>,
    pub vattype: Option<NumberOrText>,
}

/// A part of [`UpdateTransfer`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateTransferListItem {
    pub name: Option<NumberOrText>,
    /// observed: numeric value serialized as a JSON string
    pub number: Option<NumberOrText>,
    pub sku: Option<NumberOrText>,
}

/// `UPDATETRANSFER`: Transfer modified / status changed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateTransfer {
    pub fromwarehousecode: Option<NumberOrText>,
    pub id: Option<NumberOrText>,
    pub list: Option<Vec<Option<UpdateTransferListItem>>>,
    pub number: Option<NumberOrText>,
    pub status: Option<NumberOrText>,
    pub towarehousecode: Option<NumberOrText>,
    pub transferdate: Option<NumberOrText>,
}

/// `UPDATEWAREHOUSE`: Warehouse modified.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UpdateWarehouse {
    pub code: Option<NumberOrText>,
    pub id: Option<NumberOrText>,
    pub name: Option<NumberOrText>,
}
